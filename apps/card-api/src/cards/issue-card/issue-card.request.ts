import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { ISSUE_CHANNELS, MSISDN_PATTERN, PRODUCTS, type IssueChannel, type Product } from '@cards/domain';

export class IssueCardRequest {
  @ApiProperty({ example: '8f0c2b1e-5d5e-4a4f-9f43-7c1f0e9a7b21' })
  @IsUUID()
  customerId!: string;

  @ApiProperty({ enum: PRODUCTS, example: 'DEBIT' })
  @IsIn(PRODUCTS)
  product!: Product;

  @ApiProperty({
    example: '4111111111111111',
    description: '12–19 digits (19–20 for a SIM ICCID), Luhn-checked. Never stored: only BIN, last 4 and a keyed fingerprint are kept.',
  })
  @IsString()
  @Matches(/^[0-9][0-9 -]{10,28}[0-9]$/, { message: 'cardNumber must be 12 to 20 digits (spaces and dashes allowed between them)' })
  cardNumber!: string;

  @ApiPropertyOptional({ example: '12/29', description: 'MM/YY; required for DEBIT and CREDIT' })
  @IsOptional()
  @Matches(/^(0[1-9]|1[0-2])\/\d{2}$/, { message: 'expiry must be MM/YY, e.g. 12/29' })
  expiry?: string;

  @ApiProperty({ enum: ISSUE_CHANNELS, example: 'BRANCH' })
  @IsIn(ISSUE_CHANNELS)
  channel!: IssueChannel;

  @ApiPropertyOptional({ example: 'BJ-001' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  branchId?: string;

  @ApiPropertyOptional({ example: '13800138000', description: 'SIM only: the phone number, reserved for this customer (POST /v1/numbers/{msisdn}/reservations); issuing assigns it' })
  @IsOptional()
  @Matches(MSISDN_PATTERN, { message: 'msisdn must be an 11-digit mainland mobile number: 1, then 3 to 9, then 9 digits' })
  msisdn?: string;
}
