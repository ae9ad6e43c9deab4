import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { ID_TYPES, LOCALES, NOTIFICATION_CHANNELS, type IdType, type Locale, type NotificationChannel } from '@cards/domain';

export class PostalAddressRequest {
  @ApiProperty({ example: '建国门内大街 1 号' }) @IsString() @Length(1, 200) line1!: string;
  @ApiPropertyOptional({ example: '3 单元 502' }) @IsOptional() @IsString() @MaxLength(200) line2?: string;
  @ApiProperty({ example: '北京' }) @IsString() @Length(1, 100) city!: string;
  @ApiPropertyOptional({ example: '北京市' }) @IsOptional() @IsString() @MaxLength(100) province?: string;
  @ApiPropertyOptional({ example: '100005' }) @IsOptional() @IsString() @MaxLength(20) postalCode?: string;
  @ApiProperty({ example: 'CN', description: 'ISO 3166-1 alpha-2' }) @IsString() @Length(2, 2) country!: string;
}

/** The body of POST /v1/customers. The domain checks id numbers and phones; this checks shapes. */
export class RegisterCustomerRequest {
  @ApiProperty({ example: '张三' })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiProperty({ enum: ID_TYPES, example: 'CN_RESIDENT_ID' })
  @IsIn(ID_TYPES)
  idType!: IdType;

  @ApiProperty({ example: '11010519491231002X', description: 'CN resident id (18 characters, GB 11643-1999 check character) or passport number' })
  @IsString()
  @Length(1, 40)
  idNumber!: string;

  @ApiProperty({ example: '13800138000', description: 'E.164 (+8613800138000) or an 11-digit mainland mobile number' })
  @IsString()
  @Length(1, 20)
  phone!: string;

  @ApiPropertyOptional({ example: 'zhang.san@example.com' })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({
    example: '1949-12-31',
    description: 'YYYY-MM-DD. For a passport holder, what a presented document\'s birth date is checked against; with a resident id it must agree with the id\'s digits',
  })
  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'birthDate must be a date, YYYY-MM-DD' })
  birthDate?: string;

  @ApiPropertyOptional({ type: PostalAddressRequest })
  @IsOptional()
  @ValidateNested()
  @Type(() => PostalAddressRequest)
  address?: PostalAddressRequest;

  @ApiPropertyOptional({ enum: NOTIFICATION_CHANNELS, isArray: true, example: ['SMS', 'EMAIL'], default: ['SMS'] })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(NOTIFICATION_CHANNELS.length)
  @ArrayUnique()
  @IsIn(NOTIFICATION_CHANNELS, { each: true })
  preferredChannels?: NotificationChannel[];

  @ApiPropertyOptional({ enum: LOCALES, example: 'zh-CN', default: 'zh-CN' })
  @IsOptional()
  @IsIn(LOCALES)
  locale?: Locale;

  @ApiPropertyOptional({
    example: 'Asia/Shanghai',
    default: 'Asia/Shanghai',
    maxLength: 64,
    description: 'IANA time zone name: the quiet hours of notifications are in this zone (the domain checks the name)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  timeZone?: string;
}
